"""Language and ML models of Mötessök: Swedish analysis, compounds, embeddings, topics."""
