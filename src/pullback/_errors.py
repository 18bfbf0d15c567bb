"""PyTorch's autograd error texts, verbatim, in one place."""

BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")

INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference "
    "mode in computation tracked by autograd. To work around this, you can make a clone to get a "
    "normal tensor and use it in autograd.")

DETACHED_SAVED = ("Trying to use a saved tensor that has been detached in-place, i.e. with .detach_()."
                  "This is not supported, please use out-of-place `.detach()` instead")
IMPLICIT_SCALAR = "grad can be implicitly created only for scalar outputs"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_OF_LEAF_INPLACE = "a view of a leaf Variable that requires grad is being used in an in-place operation."
NOT_REQUIRES_GRAD = "element {} of tensors does not require grad and does not have a grad_fn"
INPUT_NOT_REQUIRES_GRAD = "One of the differentiated Tensors does not require grad"
UNUSED_INPUT = ("One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
EMPTY_INPUTS = "`inputs` argument to `backward()` cannot be empty."
MATERIALIZE_UNUSED = ("Expected allow_unused to be True or not passed when materialize_grads=True, "
                      "but got: allow_unused=False.")
NON_LEAF_REQUIRES_GRAD = "you can only change requires_grad flags of leaf variables."
NON_LEAF_REQUIRES_GRAD_FALSE = (
    " If you want to use a computed variable in a subgraph that doesn't require differentiation "
    "use var_no_grad = var.detach().")
INT_REQUIRES_GRAD_ATTR = "only Tensors of floating point and complex dtype can require gradients"
INT_REQUIRES_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
RETAIN_GRAD_NO_GRAD = "can't retain_grad on Tensor that has requires_grad=False"
HOOK_NO_GRAD = "cannot register a hook on a tensor that doesn't require gradient"
POST_ACCUMULATE_NON_LEAF = "post accumulate grad hooks cannot be registered on non-leaf tensors"
NUMPY_REQUIRES_GRAD = "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf "
    "Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information.")
CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and "
    "its gradient which can cause a memory leak. We recommend using autograd.grad when creating the "
    "graph to avoid this. If you have to use this function, make sure to reset the .grad fields of "
    "your parameters to None after use to break the cycle and avoid the leak.")


def size_str(shape):
    return "pullback.Size([" + ", ".join(str(int(s)) for s in shape) + "])"


def mismatch_in_shape(i, grad_shape, j, out_shape):
    return (f"Mismatch in shape: grad_output[{i}] has a shape of {size_str(grad_shape)} and "
            f"output[{j}] has a shape of {size_str(out_shape)}.")


def _forward_name(grad_fn):
    """The forward function's name PyTorch's messages give for a node (Add, Prod1, Split)."""
    return grad_fn.name().replace("Backward0", "").replace("Backward", "")


def multi_output_view(grad_fn, output_nr, what):
    return (f"Output {output_nr} of {_forward_name(grad_fn)} is a view and {what}. This view is the output of a "
            "function that returns multiple views. Such functions do not allow the output views to be modified "
            "inplace. You should replace the inplace operation by an out-of-place one.")


def version_mismatch(dtype, shape, grad_fn, output_nr, current, saved, modified_at=None):
    msg = ("one of the variables needed for gradient computation has been modified by an inplace "
           f"operation: [pullback.{dtype._tensor_type} [{', '.join(str(s) for s in shape)}]]")
    if grad_fn is not None:
        msg += f", which is output {output_nr} of {_forward_name(grad_fn)},"
    msg += f" is at version {current}; expected version {saved} instead."
    if modified_at is None:
        msg += (" Hint: enable anomaly detection to find the operation that failed to compute its "
                "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
    else:  # anomaly mode: PyTorch's hint, and (beyond PyTorch) where the change happened
        msg += (" Hint: the backtrace further above shows the operation that failed to compute its gradient. "
                "The variable in question was changed in there or anywhere later. Good luck!"
                f" It was last modified in place at {modified_at}.")
    return msg


def invalid_gradient(name, index, got, expected):
    return (f"Function {name} returned an invalid gradient at index {index} - got "
            f"[{', '.join(str(s) for s in got)}] but expected shape compatible with "
            f"[{', '.join(str(s) for s in expected)}]")
