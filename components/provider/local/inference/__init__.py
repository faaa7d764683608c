"""Scripts that run inside a deployment's environment, by path, under azmlinfsrv: they import none of the stack's code."""
