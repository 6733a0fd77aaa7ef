# %% [markdown]
# # comparing_solvers
#
# Text $x^2$.

# %%
print(1 + 1)
