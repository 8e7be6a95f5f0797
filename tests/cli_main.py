"""Run `kit ARGS` in-process as the console script does (kit.cli.main.main: one-line errors, exit codes)."""


def kit_main(capsys, *args) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `kit ARGS`; paths may be given as Path objects."""
    from kit.cli.main import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err
