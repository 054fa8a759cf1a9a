from unitgen.cli import run

run()
