// The sink's intake (src/nodes/dynamodb-sink/intake.ts): a message is taken at once while the
// writer is not backlogged; otherwise it waits, in arrival order, and is taken in slices between
// turns of the event loop (so answers from DynamoDB are read in between), all at once on flush.
import { strict as assert } from 'node:assert';
import { INTAKE_SLICE, Intake } from '../../../src/nodes/dynamodb-sink/intake';

type Done = (err?: Error) => void;

function intakeOf(backlogged: () => boolean, onTake: (n: number) => void = () => undefined) {
  const taken: number[] = [];
  const errors: [number, string][] = [];
  const intake = new Intake<number, null, Done>((n) => {
    onTake(n);
    taken.push(n);
  }, backlogged);
  const offer = (n: number) => intake.offer(n, null, (err) => err && errors.push([n, err.message]));
  return { intake, taken, errors, offer };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('dynamodb-sink intake', function () {
  it('takes a message at once while the writer is not backlogged', function () {
    const { intake, taken, offer } = intakeOf(() => false);
    offer(1);
    offer(2);
    assert.deepEqual(taken, [1, 2]);
    assert.equal(intake.length, 0);
  });

  it('while backlogged, messages wait and are taken in arrival order, also those offered once the backlog is gone', async function () {
    let backlogged = true;
    const { intake, taken, offer } = intakeOf(() => backlogged);
    offer(1);
    offer(2);
    assert.deepEqual(taken, []);
    assert.equal(intake.length, 2);
    backlogged = false;
    // Others still wait: this one must not overtake them.
    offer(3);
    assert.deepEqual(taken, []);
    await turn();
    assert.deepEqual(taken, [1, 2, 3]);
    offer(4);
    assert.deepEqual(taken, [1, 2, 3, 4], 'taken at once again when nothing waits');
  });

  it('takes a burst in slices, with turns of the event loop between them', async function () {
    const burst = 20000;
    const { intake, taken, offer } = intakeOf(() => true);
    for (let i = 0; i < burst; i++) offer(i);
    assert.equal(taken.length, 0, 'a burst offered in one run waits for the next turn');
    const seenBetweenSlices: number[] = [];
    // An immediate queued after the first slice's stands for I/O callbacks: it runs between slices.
    await turn();
    seenBetweenSlices.push(taken.length);
    await turn();
    seenBetweenSlices.push(taken.length);
    assert.ok(seenBetweenSlices[0] > 0 && seenBetweenSlices[0] < burst, `first slice took ${seenBetweenSlices[0]}`);
    assert.ok(seenBetweenSlices[0] >= INTAKE_SLICE && seenBetweenSlices[0] <= Math.ceil(burst / 64) + 1);
    assert.ok(seenBetweenSlices[1] > seenBetweenSlices[0]);
    while (intake.length > 0) await turn();
    assert.equal(taken.length, burst);
    assert.ok(taken.every((n, i) => n === i), 'arrival order kept');
  });

  it('flush takes every waiting message at once (the node closes)', function () {
    const { intake, taken, offer } = intakeOf(() => true);
    for (let i = 0; i < 1000; i++) offer(i);
    intake.flush();
    assert.equal(taken.length, 1000);
    assert.equal(intake.length, 0);
  });

  it('a message whose taking throws fails with done(err); the others are still taken', async function () {
    const { intake, taken, errors, offer } = intakeOf(
      () => true,
      (n) => {
        if (n === 2) throw new Error('the DynamoDB writer is closed');
      },
    );
    for (let i = 0; i < 5; i++) offer(i);
    while (intake.length > 0) await turn();
    assert.deepEqual(taken, [0, 1, 3, 4]);
    assert.deepEqual(errors, [[2, 'the DynamoDB writer is closed']]);
  });
});
