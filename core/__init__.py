"""What several layers share and nothing of the project imports: the leaf package."""
