"""Storage: the vector store, embeddings, sentence vectors, caches, locks and feedback."""
