"""What kit computes on images besides its networks: dense-SIFT descriptors, nearest-neighbour search, and the
npz files (features, embeddings, clusters) every stage passes on."""
