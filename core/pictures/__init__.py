"""Every picture a tab shows, computed next to the data: Datashader rasters, the explorer's phase
portraits and series, the textbook pictures (orbit diagram, cobweb, section, butterfly) and the
forecast's attractor images. Pixel sizes and colour maps live here, nowhere else."""
