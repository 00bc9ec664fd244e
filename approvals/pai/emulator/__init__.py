"""A local PAI model-registry server: its operations, GetDataset, signature checks, faults.

No Django imports; `python manage.py pai_emulator` wraps it.
"""

from .auth import AccessKey, NonceCache, Verifier
from .errors import ApiError
from .faults import FaultInjector, Faults
from .server import EmulatorServer
from .store import Store

__all__ = ["AccessKey", "ApiError", "EmulatorServer", "FaultInjector", "Faults", "NonceCache", "Store", "Verifier"]
