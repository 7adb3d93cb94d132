"""Packaging for tinyres: the engine in tinyres/, its kernels in kernels/ (installed as tinyres.kernels)."""
from setuptools import find_packages, setup

ENGINE = find_packages(include=["tinyres", "tinyres.*"])
KERNELS = ["tinyres.kernels"] + [
    "tinyres.kernels." + name for name in find_packages(where="kernels")
]

setup(
    name="tinyres",
    version="0.1.0",
    description="A from-scratch deep-learning engine specialised to residual networks",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=ENGINE + KERNELS,
    package_dir={"tinyres.kernels": "kernels"},
    package_data={"tinyres.kernels.cuda": ["*.cu"]},
    install_requires=["numpy>=1.24", "numba>=0.58"],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6"],
        # threadpoolctl lets the cpu convolutions run OpenBLAS single-threaded inside their own
        # thread pool (kernels/cpu/fast/threads.py); without it they are correct but slower
        "fast": ["threadpoolctl>=3"],
        "train": ["tqdm", "threadpoolctl>=3"],
        "gpu": ["cupy-cuda13x"],
        "mpi": ["mpi4py>=3.1", "mpich"],  # tinyres.distributed; mpich brings mpiexec
        "viz": ["matplotlib>=3.5"],  # tinyres.viz pictures and `tinyres gradflow`
    },
    entry_points={"console_scripts": ["tinyres=tinyres.cli:main"]},
)
