"""Model zoo: ``create_model(name, in_channels, image_size, **kwargs)``; ``list_models()``; ``load_model(dir)``.

Every model has ``encode(x) -> (N, latent_dim)`` for x float (N, C, H, W) in [0, 1]; autoencoders
(``is_autoencoder``) also ``decode(z)`` back to images in [0, 1] at the input size.
"""
from kit.models import conv_ae, encoders, mlp_ae, resnet_ae, skip_ae  # noqa: F401  (register models)
from kit.models.registry import (create_model, list_models, load_model, register_model, save_model,
                                 write_model_folder)

__all__ = ["create_model", "list_models", "load_model", "register_model", "save_model", "write_model_folder"]
