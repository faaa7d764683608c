"""Azure infrastructure as Pulumi component resources: workspace, compute, network, access."""
