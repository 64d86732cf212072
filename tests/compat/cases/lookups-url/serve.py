# The uri tests' server (tests/lib/uri-server.py), for run.sh.
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "..", "lib", "uri-server.py"),
               run_name="__main__")
