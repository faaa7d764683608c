"""The Azure backend: Azure ML assets submitted through azure-ai-ml.

Imported only when a resource's workspace has `target: azure` (see `providers.open_backend`);
azure-ai-ml itself is imported inside the functions that use it, never at import time.
"""
