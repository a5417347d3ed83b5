"""The README's Quick start and .ci/run stay the same two commands."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "pip install" in commands[0] and "spikecore generate" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    for command in quick_start_commands():
        assert command in ci, f"the CI script no longer runs: {command}"


def test_host_example_runs(capsys):
    """The README's host example, run against the simulated board instead of a serial port:
    neurons 0, 16, 32 and 48 of the raster spike at timesteps 0 and 2 (axon 3 drives them
    with weight 120 over threshold 100, no leak in between matters: v starts at 0)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Run it on a board", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace('SerialTransport("/dev/ttyUSB1", baudrate=1_000_000)',
                        "SimTransport(cfg)")
    code = code.replace("from spikecore.host import Core, SerialTransport",
                        "from spikecore.host import Core, SerialTransport, SimTransport")
    assert "SimTransport(cfg)" in code
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    expected_row = "".join("|" if n % 16 == 0 else "." for n in range(64))
    assert lines[0] == f"0 {expected_row}" and lines[2] == f"2 {expected_row}"
    assert lines[1] == "1 " + "." * 64 and lines[3] == "3 " + "." * 64
