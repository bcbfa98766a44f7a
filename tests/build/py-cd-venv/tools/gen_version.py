"""Run from tools/ at build time: writes the version line app/main.py prints."""
import os

print(f"1.4.2 (generated in {os.path.basename(os.getcwd())}/)")
