"""The output directory: plan and write, compare (drift), and the memo of the last compile."""
