"""tinyres.io: tinyres checkpoints (save/load) and PyTorch state_dict files (load_pth), read as
data: a damaged, crafted or oversized file is refused with a BadFileError (a ValueError)."""
from .checkpoint import load, save  # noqa: F401
from .errors import BadFileError  # noqa: F401
from .pth import load_pth  # noqa: F401
