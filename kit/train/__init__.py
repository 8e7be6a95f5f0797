"""Learning stages: pretrain (autoencoders, self-supervised), finetune (classifier head), extract (features)."""
