"""What the tests share: the op harness, test-file writers, the CUDA shim, child scripts."""
