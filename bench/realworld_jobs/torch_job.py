"""PyTorch on the CPU: a two-layer MLP trained for a few steps on one
batch (activations and gradients are the peak)."""
import time

import torch

torch.manual_seed(0)
torch.set_num_threads(2)
model = torch.nn.Sequential(torch.nn.Linear(1024, 4096), torch.nn.ReLU(), torch.nn.Linear(4096, 1024))
opt = torch.optim.Adam(model.parameters())
x, y = torch.randn(8192, 1024), torch.randn(8192, 1024)       # 32 MB each
for step in range(2):
    opt.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
keep = model(x)                                               # hold an activation
time.sleep(0.3)
print(float(loss))
