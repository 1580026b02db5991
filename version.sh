#!/bin/sh
# version.sh - print cpr-intake's version, always starting with a digit:
#   `git describe --tags --always --dirty` when a tag is reachable ("v0.2.0-14-g869797b");
#   else the VERSION file's number and the commit ("0.2.0-g869797b", "-dirty" when
#   the work tree has changes); from a tarball (no .git here), the VERSION file alone.
# The Makefile compiles the result into build/version.c, and into nothing else.
cd "$(dirname "$0")" || exit 1
base=$(sed -n '1{s/[[:space:]]//g;p;}' VERSION 2>/dev/null)
case $base in [0-9]*) ;; *) base=0 ;; esac
# Only this source tree's own history: a tarball unpacked inside some other
# repository must not take that repository's tags.
top=$(git rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$(pwd -P)" ]; then
    if d=$(git describe --tags --always --dirty 2>/dev/null); then
        d=${d#v}
        case $d in
        [0-9]*)
            # a tag: describe's whole answer (an untagged hash can start with a digit too)
            if git describe --tags >/dev/null 2>&1; then echo "$d"; exit 0; fi ;;
        esac
        h=$(git rev-parse --short HEAD 2>/dev/null)
        case $d in *-dirty) h="$h-dirty" ;; esac
        echo "$base-g$h"
        exit 0
    fi
fi
echo "$base"
