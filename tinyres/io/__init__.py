"""tinyres.io: tinyres checkpoints (save/load) and PyTorch state_dict files (load_pth)."""
from .checkpoint import load, save  # noqa: F401
from .pth import load_pth  # noqa: F401
