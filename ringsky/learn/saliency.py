"""Where the classifier looked: SmoothGrad saliency of the ring logit.

Grad-CAM needs a usable last feature map, and the shipped 64-pixel ConvNeXt ends on 2 x 2
cells; the input gradient, averaged over noisy copies of the picture (SmoothGrad), stays
pixel-sharp for any architecture. A small Gaussian blur removes the 4-pixel grid that a
patchify stem leaves in the gradient.
"""
import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image
from scipy.ndimage import gaussian_filter


def smoothgrad(classifier, image, samples=16, noise=0.1, seed=0, blur=1.5):
    """Saliency (input size, input size) in [0, 1] for one uint8 picture as the model reads it (RGB,
    or ugriz planes for a 5-channel model): over the picture's central crop, the model's view."""
    batch = classifier.inputs(image[None]).repeat(samples, 1, 1, 1)
    generator = torch.Generator().manual_seed(seed)
    spread = noise * float(batch.max() - batch.min())
    noisy = (batch + spread * torch.randn(batch.shape, generator=generator)).requires_grad_(True)
    network = classifier.network
    network.zero_grad(set_to_none=True)
    classifier.ring_logit(network(noisy).float()).sum().backward()
    saliency = gaussian_filter(noisy.grad.abs().amax(dim=1).mean(dim=0).numpy(), blur)
    top = np.percentile(saliency, 99.5)
    return np.clip(saliency / top, 0, 1) if top > 0 else saliency


def overlay(image, saliency, alpha=0.55):
    """The picture with the saliency drawn over it in a heat colour map, as uint8 RGB."""
    heat = (colormaps["inferno"](saliency)[..., :3] * 255).astype(np.uint8)
    heat = np.asarray(Image.fromarray(heat).resize(image.shape[1::-1], Image.Resampling.BILINEAR))
    return (image * (1 - alpha) + heat * alpha).astype(np.uint8)
