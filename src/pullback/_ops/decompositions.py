"""The decompositions family: spectral and orthogonal decompositions and what is built on them: qr, eigh, svd, pinv, lstsq, matrix functions."""
