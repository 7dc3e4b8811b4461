"""Graph neural networks for molecules (NFP, GGNN, WeaveNet, SchNet) in plain PyTorch.

Molecules are dense padded tensors (atoms x features, atoms x atoms), so the models need no
graph library: a batch is a handful of ordinary tensors plus an atom mask.
"""
