from unitgen.entry import main

main()
