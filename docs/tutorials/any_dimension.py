# %% [markdown]
# # any_dimension
#
# Text $x^2$.

# %%
print(1 + 1)
