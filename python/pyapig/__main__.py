"""`python -m pyapig` and the `pyapig` command."""

import sys


def main() -> None:
    from ._cli import run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
