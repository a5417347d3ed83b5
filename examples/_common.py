"""Shared command-line options of the example scripts."""

import argparse


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--backend", choices=("golden", "rtl", "both"), default="both",
                   help="golden: numpy model; rtl: Verilator, checked every cycle; both "
                        "(default): run both and assert identical outputs")
    p.add_argument("--quick", action="store_true", help="a small run (seconds)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="build/examples", help="output folder (plots, runs)")
    return p


def backends(choice):
    return ("golden", "rtl") if choice == "both" else (choice,)
