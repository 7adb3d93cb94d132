"""Where things are: the repository root and this folder of helpers, for tests that run scripts
or read the docs."""
import os

HELPERS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HELPERS))
