"""The hostile-file corpus: writers for crafted .pth, CIFAR-10 and .npz files (each case module
writes its files and says what loading each must give), and the child process that loads them
under an address-space limit (runner.py). tests/data_io/test_hostile_files.py runs it all."""
