# %% [markdown]
# # dual_certificate
#
# Text $x^2$.

# %%
print(1 + 1)
