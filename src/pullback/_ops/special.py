"""The special family: special functions (torch.special and the elementwise functions of SciPy's special module)."""
