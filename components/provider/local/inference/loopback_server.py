"""azmlinfsrv, the server of Azure ML's inference images, listening on loopback only.

Run by path in a deployment's environment (where azureml-inference-server-http is installed) with azmlinfsrv's own
arguments: `python loopback_server.py --entry_script <script> --model_dir <folder> --port <port>`. azmlinfsrv binds
every interface (its `constants.DEFAULT_HOST`, 0.0.0.0, has no option), and a local deployment must listen on
127.0.0.1 only: that host is the one thing changed. The rest is azmlinfsrv's: its settings and log, its gunicorn
worker that imports the scoring script and runs its init() before it answers, its routes (`GET /`, the liveness
and readiness probe; `POST /score`; `GET /swagger.json`), and its exit when init() fails.
"""

import sys

from azureml_inference_server_http import amlserver

LOOPBACK = "127.0.0.1"

if __name__ == "__main__":
    amlserver.DEFAULT_HOST = LOOPBACK
    sys.exit(amlserver.run())
