"""Write, list and delete one file in an ADLS Gen2 file system, as AEP's ADLS Gen2 destination does.

It signs in as the tenant's service principal (the credential AEP holds), so a successful run shows
that the role assignment on the file system works with shared key off. The calls go to the ``dfs``
endpoint: create file (``PUT ?resource=file``), append and flush (``PATCH ?action=append`` and
``?action=flush``), list paths (``GET ?resource=filesystem``) and delete.
"""

from __future__ import annotations

from typing import Any

PROBE_DIRECTORY = "destkit-probe"


def probe_file_system(
    account_url: str,
    file_system: str,
    credential: Any,
    *,
    file_name: str = "probe.csv",
    data: bytes = b"id,segment\n",
    **client_options: Any,
) -> list[str]:
    """Upload ``data`` to ``destkit-probe/<file_name>``, list the directory, delete the file.

    Returns the paths the listing showed. ``client_options`` go to ``DataLakeServiceClient``, for
    example ``connection_verify`` with a private CA bundle. Azure SDK errors propagate unchanged.
    """
    from azure.storage.filedatalake import DataLakeServiceClient

    service = DataLakeServiceClient(account_url, credential=credential, **client_options)
    file_system_client = service.get_file_system_client(file_system)
    file_client = file_system_client.get_file_client(f"{PROBE_DIRECTORY}/{file_name}")
    file_client.upload_data(data, overwrite=True)
    listed = [path.name for path in file_system_client.get_paths(path=PROBE_DIRECTORY)]
    file_client.delete_file()
    return listed
