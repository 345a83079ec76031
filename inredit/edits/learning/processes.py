"""Training in several processes under torchrun (DistributedDataParallel): this process's rank, its
share of a global batch, barriers and means over the processes (one process, rank 0, without torchrun)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Processes:
    """This process's place in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def share(self, batch: int) -> torch.Tensor:
        """This process's rows of a global batch: rank, rank + N, ... (the shares partition it)."""
        return torch.arange(batch)[self.rank::self.world]

    def mean(self, value: float) -> float:
        """The mean of a number over all processes (e.g. a loss of each one's share of a batch)."""
        if self.world == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        torch.distributed.all_reduce(tensor)
        return float(tensor) / self.world


def join_processes() -> Processes:
    """Under torchrun (WORLD_SIZE > 1): join the process group, gloo on CPU, nccl with CUDA."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Processes()
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return Processes(torch.distributed.get_rank(), torch.distributed.get_world_size())
