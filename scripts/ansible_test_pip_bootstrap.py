"""Stands in for the get-pip script that `ansible-test sanity` downloads from a host
this machine cannot reach (ansible-test creates each sanity venv without pip, then runs
~/.ansible/test/cache/get_pip_<version>.py with pip's install arguments, using a cached
copy when one exists; see its _util/target/setup/requirements.py).

This copy needs only PyPI: it installs the pip wheel bundled with Python (ensurepip, no
network), then lets that pip install the exact packages ansible-test asked for (pip==X)
from the index. `make sanity` writes it into the cache of the HOME it gives ansible-test.
"""

import subprocess
import sys

# get-pip.py's own switches; pip install does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# In a child process: ensurepip.bootstrap() sets PIP_CONFIG_FILE=/dev/null in its own
# environment, which would hide pip.conf (index, CA bundle) from the install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
