#!/bin/sh
# (real programs under the shim over veth: in the next commit)
echo "SKIP: not written yet"
exit 77
