"""A local PAI model-registry server: its operations, GetDataset, signature checks, faults, a rate limit.

No Django imports; `python manage.py pai_emulator` wraps it.
"""

from .auth import AccessKey, NonceCache, Verifier
from .errors import ApiError
from .faults import FaultInjector, Faults
from .ratelimit import RateLimiter
from .server import EmulatorServer
from .store import Store

__all__ = [
    "AccessKey",
    "ApiError",
    "EmulatorServer",
    "FaultInjector",
    "Faults",
    "NonceCache",
    "RateLimiter",
    "Store",
    "Verifier",
]
