from optimizer.cli import program

program()
