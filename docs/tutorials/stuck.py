# %% [markdown]
# # stuck
#
# Text $x^2$.

# %%
print(1 + 1)
