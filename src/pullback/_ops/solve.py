"""The solve family: linear systems and the factorizations that solve them: det, inv, solve, Cholesky, LU, triangular solves."""
