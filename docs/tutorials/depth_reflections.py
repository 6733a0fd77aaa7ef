# %% [markdown]
# # depth_reflections
#
# Text $x^2$.

# %%
print(1 + 1)
