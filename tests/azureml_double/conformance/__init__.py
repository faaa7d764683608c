"""Conformance checker: replay recorded sessions of the real Azure ML service against the double.

``python -m tests.azureml_double.conformance <folder or fixture>`` reads azure-sdk test-proxy recordings
(``recording``), keeps the exchanges of operations the provider makes (``operations``), replays each one
against a fresh double per recording (``replay``, after ``seeding`` what the recording shows existed, ``seeds``), compares
the answers (``compare``), waives the differences listed in ``allowlist.txt`` (``allowlist``) and prints one
row per exchange (``report``). ``distill`` writes the compact fixture of expectations committed under tests/.
"""
