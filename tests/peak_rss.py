#!/usr/bin/env python3
"""peak_rss.py LOG COMMAND ARG... - run COMMAND (its output to LOG), then
print "PEAK_KB EXIT": the peak resident set of the child as getrusage(
RUSAGE_CHILDREN) reports it (ru_maxrss, kilobytes on Linux) and its exit
status. Issue 16: the memory bound of a large message is measured on the
release binary, not guessed."""
import resource
import subprocess
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], "wb") as log:
        rc = subprocess.run(argv[2:], stdout=log, stderr=subprocess.STDOUT).returncode
    print("%d %d" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
