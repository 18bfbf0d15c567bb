"""The selection family: selection and counting: topk, kthvalue, median, mode, quantile, unique, searchsorted, histograms."""
