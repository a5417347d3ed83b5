"""The ``spikecore`` command line."""

import argparse
import sys
from pathlib import Path

from .config import CoreConfig, load_config, shipped_configs

__all__ = ["main"]


def _config(value):
    return load_config(value)


def cmd_config_show(args):
    cfg = load_config(args.config)
    print(f"# {cfg.summary()}")
    print(f"# derived: n_rows={cfg.n_rows}, groups={cfg.groups}, acc_bits={cfg.acc_bits}, "
          f"axon_id_bits={cfg.axon_id_bits}, synapses={cfg.synapses}")
    print(cfg.to_toml(), end="")
    return 0


def cmd_config_doc(args):
    from .config import config_reference
    print(config_reference())
    return 0


def cmd_config_check(args):
    status = 0
    for path in args.files:
        try:
            cfg = CoreConfig.load(path)
        except (ValueError, TypeError, OSError) as exc:
            print(f"{path}: error: {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"{path}: ok: {cfg.summary()}")
    return status


def cmd_generate(args):
    from .hdl.generate import generate
    cfg = load_config(args.config)
    out = Path(args.out) if args.out else Path("build") / _config_name(args.config)
    print(f"generating {cfg.summary()}")
    result = generate(cfg, out)
    for path in (result.verilog, result.vlt, result.regmap_json, result.regmap_md,
                 result.config):
        print(f"  wrote {path} ({path.stat().st_size:,} bytes)")
    print(f"generated in {result.seconds:.2f} s")
    return 0


def cmd_sim(args):
    from .sim.simulate import simulate
    cfg = load_config(args.config)
    out = Path(args.out)
    summary = simulate(cfg, args.input, out, name=_config_name(args.config),
                       network=args.network, backend=args.backend, steps=args.steps,
                       waves=args.waves)
    print(f"{summary['backend']}: {summary['steps']} timesteps of {cfg.summary()}")
    print(f"  {summary['spikes']} output spikes -> {out / 'spikes.csv'}")
    print(f"  final state -> {out / 'state.npz'}; summary -> {out / 'summary.json'}")
    if "waves" in summary:
        print(f"  waves -> {summary['waves']} (open with GTKWave or Surfer)")
    if args.plot:
        from .sim.plots import plot_run
        from .sim.simulate import golden_trace
        from .sim.spike_io import load_spike_train
        train = load_spike_train(args.input, cfg, steps=args.steps)
        record = golden_trace(cfg, train, network=args.network)
        for path in plot_run(args.plot, cfg, record):
            print(f"  plot -> {path}")
    return 0


def cmd_import_nir(args):
    from .sim.nir_import import import_nir, load_nir
    imported = import_nir(load_nir(args.model), base=args.config_base, dt=args.dt,
                          reset=args.reset)
    out = imported.write(args.out)
    print("\n".join(imported.report))
    print(f"wrote {out / 'config.toml'}, {out / 'network.npz'}, {out / 'report.txt'}")
    return 0


def cmd_build(args):
    from .boards.build import BuildError, build_board
    from .boards.platforms import find_board
    spec = find_board(args.board)
    cfg = load_config(args.config or spec.config)
    out = Path(args.out) if args.out else Path("build") / f"{spec.name}-{_config_name(args.config or spec.config)}"
    try:
        report = build_board(spec, cfg, out, freq=args.freq * 1e6 if args.freq else None)
    except BuildError as error:
        print(f"spikecore: build failed: {error}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_program(args):
    from .boards.program import ProgramError, program_board
    from .boards.platforms import find_board
    spec = find_board(args.board)
    try:
        program_board(spec, args.bitstream)
    except ProgramError as error:
        print(f"spikecore: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args):
    from .bench import run_bench
    readme = None if args.no_readme else Path("README.md")
    if readme is not None and not readme.exists():
        readme = None
    run_bench(quick=args.quick, json_path=args.json, fpga=not args.no_fpga, readme=readme)
    return 0


def cmd_prove(args):
    from .sim.formal import FormalToolError, prove
    groups = None if args.only is None else [args.only]
    try:
        ok = prove(groups, depth=args.depth, keep=args.keep)
    except FormalToolError as error:
        print(f"spikecore: {error}", file=sys.stderr)
        return 1
    print("all properties hold" if ok else "some properties failed (see the traces above)")
    return 0 if ok else 1


def _config_name(value):
    if value is None:
        return "default"
    return Path(value).stem


def build_parser():
    parser = argparse.ArgumentParser(
        prog="spikecore",
        description="Generate spiking neuromorphic cores (LIF neurons, crossbar synapses, "
                    "on-chip STDP), bit-exact to a numpy golden model.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    config_help = (f"a shipped configuration ({', '.join(shipped_configs())}) or a .toml "
                   "file; default: default")

    p_config = sub.add_parser("config", help="show or check core configurations")
    config_sub = p_config.add_subparsers(dest="action", metavar="ACTION")
    config_sub.required = True
    p_show = config_sub.add_parser("show", help="print a configuration as TOML")
    p_show.add_argument("config", nargs="?", default=None, help=config_help)
    p_show.set_defaults(func=cmd_config_show)
    p_doc = config_sub.add_parser("doc", help="print the configuration reference (Markdown)")
    p_doc.set_defaults(func=cmd_config_doc)
    p_check = config_sub.add_parser("check", help="validate configuration files")
    p_check.add_argument("files", nargs="+", metavar="FILE")
    p_check.set_defaults(func=cmd_config_check)

    p_gen = sub.add_parser("generate", help="write the Verilog of a core and its register map")
    p_gen.add_argument("--config", default=None, help=config_help)
    p_gen.add_argument("--out", default=None,
                       help="output folder (default: build/<config name>)")
    p_gen.set_defaults(func=cmd_generate)

    p_sim = sub.add_parser("sim", help="run a spike train through the golden model or the RTL")
    p_sim.add_argument("--config", default=None, help=config_help)
    p_sim.add_argument("--input", required=True, metavar="SPIKES",
                       help="spike train: .npy raster (timesteps x n_axons) or .csv lines "
                            "'timestep,axon'")
    p_sim.add_argument("--network", default=None, metavar="NPZ",
                       help="weights, state and parameters to start from (.npz; a run's "
                            "state.npz works)")
    p_sim.add_argument("--backend", choices=("golden", "rtl"), default="golden",
                       help="golden: the numpy model; rtl: the generated Verilog under "
                            "Verilator, checked against the golden model every cycle")
    p_sim.add_argument("--steps", type=int, default=None,
                       help="timesteps to run (default: the length of the spike train)")
    p_sim.add_argument("--waves", action="store_true",
                       help="record waves (FST) of the RTL run")
    p_sim.add_argument("--out", required=True, help="output folder")
    p_sim.add_argument("--plot", default=None, metavar="DIR",
                       help="also write raster, membrane and weight pictures (PNG) to DIR "
                            "(the states come from the golden model, bit-identical to the RTL)")
    p_sim.set_defaults(func=cmd_sim)

    p_nir = sub.add_parser("import-nir", help="map a NIR graph onto a core config and network")
    p_nir.add_argument("model", metavar="MODEL.nir", help="NIR file (nir.write)")
    p_nir.add_argument("--out", required=True,
                       help="output folder: config.toml, network.npz, report.txt")
    p_nir.add_argument("--config-base", default="default", metavar="NAME",
                       help="configuration whose widths and lanes are kept; " + config_help)
    p_nir.add_argument("--dt", type=float, default=1.0,
                       help="timestep in the units of the graph's time constants (default 1)")
    p_nir.add_argument("--reset", choices=("zero", "subtract"), default="zero",
                       help="reset after a spike (NIR's v_reset = 0 is 'zero')")
    p_nir.set_defaults(func=cmd_import_nir)

    p_build = sub.add_parser("build", help="build a bitstream for an FPGA board (YoWASP tools)")
    p_build.add_argument("--board", required=True,
                         help="icebreaker or ulx3s (or an amaranth-boards platform class of "
                              "the same families)")
    p_build.add_argument("--config", default=None,
                         help="configuration (default: the board's own, e.g. icebreaker)")
    p_build.add_argument("--freq", type=float, default=None, metavar="MHZ",
                         help="target core clock (default: the board's)")
    p_build.add_argument("--out", default=None, help="output folder (default: build/<board>)")
    p_build.set_defaults(func=cmd_build)

    p_bench = sub.add_parser("bench", help="measure cycles, FPGA figures and speeds")
    p_bench.add_argument("--quick", action="store_true",
                         help="a subset that fits in CI (no large builds)")
    p_bench.add_argument("--json", default=None,
                         help="results file (default: bench/results.json)")
    p_bench.add_argument("--no-fpga", action="store_true", help="skip the FPGA builds")
    p_bench.add_argument("--no-readme", action="store_true",
                         help="do not update the table in ./README.md")
    p_bench.set_defaults(func=cmd_bench)

    p_prog = sub.add_parser("program", help="flash a bitstream onto a connected board")
    p_prog.add_argument("--board", required=True)
    p_prog.add_argument("--bitstream", default=None,
                        help="bitstream file (default: the one `spikecore build` wrote)")
    p_prog.set_defaults(func=cmd_program)

    p_prove = sub.add_parser("prove", help="prove the core's safety properties (SymbiYosys)")
    p_prove.add_argument("--depth", type=int, default=None, metavar="N",
                         help="induction length or BMC/cover depth of every check (default: "
                              "each check's own, see docs/verification.md)")
    p_prove.add_argument("--only", default=None, metavar="GROUP",
                         help="one property group: arith, streams, interface, liveness, cover")
    p_prove.add_argument("--keep", default=None, metavar="DIR",
                         help="folder for the RTLIL, .sby files and traces "
                              "(default: build/formal)")
    p_prove.set_defaults(func=cmd_prove)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as exc:
        print(f"spikecore: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
