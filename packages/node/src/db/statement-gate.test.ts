import { describe, expect, it } from "vitest";
import { StatementGate } from "./statement-gate.ts";

describe("StatementGate", () => {
  it("holds other tasks' statements until the transaction ends, and lets its own pass", async () => {
    const gate = new StatementGate();
    const order: string[] = [];
    let finish = () => {};
    const transaction = gate.exclusive(async () => {
      await gate.enter();
      order.push("transaction: first statement");
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      await gate.enter();
      order.push("transaction: last statement");
    });
    await Promise.resolve();
    const outsider = gate.enter().then(() => order.push("outsider"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual(["transaction: first statement"]);
    finish();
    await Promise.all([transaction, outsider]);
    expect(order).toEqual([
      "transaction: first statement",
      "transaction: last statement",
      "outsider",
    ]);
  });

  it("runs transactions one after another, and a nested one inside its parent", async () => {
    const gate = new StatementGate();
    let open = 0;
    let most = 0;
    const work = () =>
      gate.exclusive(async () => {
        open += 1;
        most = Math.max(most, open);
        await gate.exclusive(async () => {
          await new Promise((resolve) => setTimeout(resolve, 2));
        });
        open -= 1;
      });
    await Promise.all([work(), work(), work()]);
    expect(most).toBe(1);
  });

  it("frees the connection when the transaction fails", async () => {
    const gate = new StatementGate();
    await expect(
      gate.exclusive(async () => {
        throw new Error("constraint failed");
      }),
    ).rejects.toThrow("constraint failed");
    await expect(gate.exclusive(async () => "next")).resolves.toBe("next");
  });
});
