"""The command line: thin front-ends (`python bot.py apply`, `export-org`, …) that read and
check what the operator gives them, call the same services Telegram uses, and print."""
