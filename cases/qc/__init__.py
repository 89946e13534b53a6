"""Quality control: sampling decided cases, QC reviews, findings, disputes and metrics."""
